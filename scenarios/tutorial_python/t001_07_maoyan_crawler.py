# Tutorial 001 (进程池), example 7 (8.2 爬虫实例): urlopen a Maoyan board page in a Pool, parse it with a regex in
# the callback. Indentation and line numbers fixed. Changed for offline runs: the URL is a stand-in board page
# (three films) on a local HTTP server (standin_server, 127.0.0.1, ephemeral port) instead of maoyan.com.
import re
from urllib.request import urlopen
from multiprocessing import Pool
import sys; sys.dont_write_bytecode = True  # added: importing standin_server leaves no __pycache__
from standin_server import http_urls  # added

def get_page(url,pattern):
    response=urlopen(url).read().decode('utf-8')
    return pattern,response

def parse_page(info):
    pattern,page_content=info
    res=re.findall(pattern,page_content)
    for item in res:
        dic={
            'index':item[0].strip(),
            'title':item[1].strip(),
            'actor':item[2].strip(),
            'time':item[3].strip(),
        }
        print(dic)
if __name__ == '__main__':
    regex = r'<dd>.*?<.*?class="board-index.*?>(\d+)</i>.*?title="(.*?)".*?class="movie-item-info".*?<p class="star">(.*?)</p>.*?<p class="releasetime">(.*?)</p>'
    pattern1=re.compile(regex,re.S)

    url_dic={
        http_urls(['maoyan.com/board/7'])[0]:pattern1,  # was: 'http://maoyan.com/board/7'
    }

    p=Pool()
    res_l=[]
    for url,pattern in url_dic.items():
        res=p.apply_async(get_page,args=(url,pattern),callback=parse_page)
        res_l.append(res)

    for i in res_l:
        i.get()
